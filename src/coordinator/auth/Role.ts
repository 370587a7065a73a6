/**
 * What a token may do: `client` submits and watches its own jobs and blobs, `agent` joins the
 * cluster and runs tasks, `admin` sees and cancels everything (and may do what a client does).
 */
export type Role = 'client' | 'agent' | 'admin';
