/**
 * The yargs configuration made from the options table (src/cli/options.ts):
 * the qemu-user command-line habits yargs-parser must be told about.
 */
import { describe, expect, it } from "vitest";
import { parseCommandLine, UsageError } from "../src/cli/options.js";

const usage = (args: string[]) => {
  try {
    parseCommandLine(args);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`no usage error for ${args.join(" ")}`);
};

describe("yargs driven by the options table", () => {
  it("a value option takes the next argument even when it looks like an option; a flag takes none", () => {
    expect(parseCommandLine(["-0", "-sh", "prog"]).opts.argv0).toBe("-sh");
    expect(parseCommandLine(["-E", "--x=1", "-E", "B=2", "prog"]).opts.env).toEqual(["--x=1", "B=2"]);
    // `true` is the program, not the flag's value
    const r = parseCommandLine(["--strace", "true", "-x"]);
    expect(r.opts.strace).toBe(true);
    expect(r.rest).toEqual(["true", "-x"]);
  });

  it("a lone '-' is a non-option, as program or value", () => {
    expect(parseCommandLine(["-", "--strace"]).rest).toEqual(["-", "--strace"]);
    const r = parseCommandLine(["-0", "-", "-", "-E"]);
    expect(r.opts.argv0).toBe("-");
    expect(r.rest).toEqual(["-", "-E"]);
    expect(r.opts.env).toEqual([]);
  });

  it("one or two dashes, the last of a repeated value wins, --no- turns a flag off over its variable", () => {
    expect(parseCommandLine(["--strace", "-cpu", "max", "-s", "1k", "--stack-size", "2k", "p"]).opts).toMatchObject({ strace: true, cpu: "max", stackSize: 2048 });
    expect(parseCommandLine(["--no-jit", "--no-wasm", "p"]).opts).toMatchObject({ jit: false, wasm: false });
    expect(parseCommandLine(["--no-jit", "--jit", "p"]).opts.jit).toBe(true);
    expect(parseCommandLine(["p"], { X64EMU_STRACE: "1" }).opts.strace).toBe(true);
    expect(parseCommandLine(["--no-strace", "p"], { X64EMU_STRACE: "1" }).opts.strace).toBe(false);
    expect(parseCommandLine(["-d", "strace,in_asm", "-D", "/l", "p"]).opts).toMatchObject({ strace: true, trace: true, straceFile: "/l", traceFile: "/l" });
  });

  it("usage errors name the option as typed", () => {
    expect(usage(["--frob=1", "p"])).toBe("unknown option '--frob'");
    expect(usage(["--strace", "-zap", "p"])).toBe("unknown option '-zap'");
    expect(usage(["--no-gdb", "p"])).toBe("unknown option '--no-gdb'");
    expect(usage(["-strace=1", "p"])).toBe("option '-strace' takes no argument");
    expect(usage(["-E"])).toBe("option '-E' needs an argument (NAME=VALUE,...)");
    expect(usage(["--gdb=x", "p"])).toMatch(/^--gdb expects a whole number/);
    expect(usage(["-g", "x", "p"])).toMatch(/^-g expects a whole number/);
  });
});
