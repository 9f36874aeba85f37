/** What a command hands back to main: text for stdout and the exit code. */
export interface CommandResult {
  stdout?: string;
  exitCode?: number;
}
