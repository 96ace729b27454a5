import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

/** A child process whose output goes to a log file, and which is killed when this process exits. */
export interface ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly pid: number | undefined;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** The last lines of the log, for error messages. */
  logTail(lines?: number): string;
  /** Sends SIGTERM, then SIGKILL after graceMs; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
const cleanups = new Set<() => Promise<void>>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of live) child.kill("SIGKILL");
}

/**
 * Makes sure no child outlives this process. On normal exit, children are killed synchronously.
 * On SIGINT/SIGTERM/SIGHUP the registered cleanups run (bounded to 20 s), leftovers are killed and
 * the process exits with 128+signal; a second signal skips the cleanups. The Go binary also sets
 * PR_SET_PDEATHSIG, which covers a SIGKILL of this process.
 */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllNow);
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  let stopping = false;
  for (const signal of Object.keys(codes) as (keyof typeof codes)[]) {
    process.on(signal, () => {
      if (stopping) {
        killAllNow();
        process.exit(codes[signal]);
      }
      stopping = true;
      const deadline = new Promise((resolve) => setTimeout(resolve, 20_000).unref());
      void Promise.race([Promise.allSettled([...cleanups].map((cleanup) => cleanup())), deadline]).then(
        () => {
          killAllNow();
          process.exit(codes[signal]);
        },
      );
    });
  }
}

/** Registers an async cleanup to run on SIGINT/SIGTERM/SIGHUP; returns a function that unregisters it. */
export function onTerminationSignal(cleanup: () => Promise<void>): () => void {
  installExitHooks();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Starts `command args` with stdout and stderr appended to logFile. */
export function startProcess(name: string, command: string, args: string[], logFile: string): ManagedProcess {
  installExitHooks();
  const fd = openSync(logFile, "a");
  const child = spawn(command, args, { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  live.add(child);

  let exitedFlag = false;
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => {
      exitedFlag = true;
      live.delete(child);
      resolve(code ?? signal ?? "unknown");
    });
    child.on("error", (error) => {
      exitedFlag = true;
      live.delete(child);
      resolve(`spawn error: ${error.message}`);
    });
  });

  return {
    name,
    logFile,
    pid: child.pid,
    exited,
    hasExited: () => exitedFlag,
    logTail(lines = 30) {
      try {
        return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "(no log)";
      }
    },
    async stop(graceMs = 10_000) {
      if (exitedFlag) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
