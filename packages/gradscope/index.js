// gradscope for Node: everything @gradscope/tfjs exports (through its Node
// entry: logdir files, the embedded dashboard server, the wasm backend),
// with the server, the dashboard and the wasm backend installed beside it.
export * from '@gradscope/tfjs';
