export { main, buildProgram } from './main.js';
export { EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED, UsageError } from './exit-codes.js';
export { fileInfo, type FileInfo } from './commands/info.js';
export { FIRST_PARTY_PLUGINS, loadPlugins, type PluginLoadReport } from './plugins.js';
