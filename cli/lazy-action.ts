/** An action that imports its command's implementation when, and only when, the command runs. */
export function lazy<A extends unknown[]>(load: () => Promise<(...args: A) => Promise<unknown>>) {
  return async (...args: A) => {
    const command = await load();
    const code = await command(...args);
    if (typeof code === 'number') process.exitCode = code;
  };
}
