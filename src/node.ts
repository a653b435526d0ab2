/** Node-only entry point ("x64emu/node"): the Node host and the gdb transports. */
export { NodeHost } from "./host/node.js";
export { serveGdbTcp, serveGdbStdio, type GdbServeOptions, type GdbResult } from "./host/gdb-node.js";
export { GdbStub, type StubOptions } from "./gdb/stub.js";
