/**
 * Exit codes of the `drover` command, documented in docs/cli.md. Scripts may rely on them.
 */
export const ExitCode = {
  /** Done, and every task succeeded. */
  ok: 0,
  /** A task or job failed (`map` item threw, `jobs watch` of a job with failures, ...). */
  failed: 1,
  /** Bad flags, arguments or input files. */
  usage: 2,
  /** The coordinator could not be reached (or the connection broke). */
  unreachable: 3,
  /** The coordinator refused the credentials (missing, wrong or expired token; not allowed). */
  unauthorized: 4,
  /** The job (or other thing named) does not exist. */
  notFound: 5,
  /** The job was cancelled (`jobs watch`). */
  cancelled: 6,
  /** Interrupted by SIGINT (Ctrl-C), as shells report it. */
  interrupted: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
