#!/usr/bin/env node
// Runs the metricdict binary shipped in this package for this platform with the same
// arguments: standard input, output and error are the binary's own, its exit code is ours,
// and signals sent to this launcher are passed on to it.
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

const platform = `${process.platform}-${process.arch}`;
const exe = path.join(__dirname, platform, process.platform === "win32" ? "metricdict.exe" : "metricdict");

if (!fs.existsSync(exe)) {
  console.error(
    `metricdict: this package has no binary for ${platform} (it ships linux-x64).\n` +
      "Install from source instead: cargo install --locked --git <metricdict repository> metricdict"
  );
  process.exit(2);
}

// A package manager that drops the executable bit (some extract with 0644) gets it back.
try {
  fs.accessSync(exe, fs.constants.X_OK);
} catch {
  try {
    fs.chmodSync(exe, 0o755);
  } catch {
    // Read-only install: spawn below reports the real problem.
  }
}

const child = spawn(exe, process.argv.slice(2), { stdio: "inherit" });

const forwarded = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
for (const signal of forwarded) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}

child.on("error", (err) => {
  console.error(`metricdict: cannot run ${exe}: ${err.message}`);
  process.exit(2);
});

child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so a caller sees what the binary saw.
    for (const s of forwarded) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    // A signal that does not end a node process by default still ends this one.
    setTimeout(() => process.exit(128 + (require("os").constants.signals[signal] || 0)), 100);
  } else {
    process.exit(code === null ? 1 : code);
  }
});
