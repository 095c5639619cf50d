// Errors shared by the library and the command line.

/** An error in what the user asked for (an option or argument): printed without a stack trace. */
export class UsageError extends Error {}
