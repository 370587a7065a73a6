/** `--worker-nice`'s help, shared by `drover agent` and `drover local`. */
export const WORKER_NICE_HELP = "niceness of the worker processes above the agent's (0-19; default 5: the agent gets the CPU first when tasks saturate it; 0 = the agent's priority)";
