# SPDX-License-Identifier: MIT
# The server of port-a.sh and port-b.sh: listen on 127.0.0.1:PORT, answer one request, check it.
import socket, sys, threading, time

port = int(sys.argv[1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: not TIME_WAIT's fault
try:
    srv.bind(("127.0.0.1", port))
except OSError as e:
    print("server: cannot listen on 127.0.0.1:%d: %s" % (port, e.strerror), file=sys.stderr)
    sys.exit(1)
srv.listen(1)


def answer():
    conn, _ = srv.accept()
    conn.sendall(b"hello " + conn.recv(64))
    conn.recv(1)  # the client closes first: its side, not the port, waits in TIME_WAIT
    conn.close()


threading.Thread(target=answer).start()
time.sleep(1)  # the work a real test does while its server is up
c = socket.create_connection(("127.0.0.1", port))
c.sendall(b"me")
reply = c.recv(64)
c.close()
if reply != b"hello me":
    print("server: got %r: another test's server answered" % reply, file=sys.stderr)
    sys.exit(1)
