import { handlerRuntime } from '../shared/handler-runtime.js';

/** The CLI shares the handlers' configuration and clients, so `--local` runs exactly what Lambda runs. */
export const cliRuntime = handlerRuntime;
