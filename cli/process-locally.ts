/** The help line of `--local` on the commands that start one run. */
export const PROCESS_LOCALLY =
  'also process the run in this process with the Lambda handlers, and wait for it';
