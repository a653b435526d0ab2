# Run a command on a new pty (24x80); each time its output has a new line
# ending in "ready", resize the pty (the kernel sends SIGWINCH to the
# foreground group). Prints what the command wrote; exits with its status.
import fcntl, os, pty, select, struct, sys, termios, time

sizes = [(30, 100), (40, 120), (50, 132)]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
out = b""
readies = 0
end = time.time() + 30
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        continue
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
    n = out.count(b"ready")
    while readies < n and readies < len(sizes):
        time.sleep(0.05)
        rows, cols = sizes[readies]
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        readies += 1
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode("latin1").replace("\r\n", "\n"))
sys.exit(os.waitstatus_to_exitcode(st) if hasattr(os, "waitstatus_to_exitcode") else st >> 8)
