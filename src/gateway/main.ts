/** Runs the gateway server with its command-line arguments; returns the exit status. */
export function runGateway(_args: string[]): Promise<number> {
  return Promise.resolve(1);
}
