/** Node-only entry point ("x64emu/node"): the Node host and the gdb transports. */
export { NodeHost } from "./host/node.js";
export { serveGdbTcp, serveGdbStdio } from "./host/gdb-node.js";
export { GdbStub } from "./gdb/stub.js";
