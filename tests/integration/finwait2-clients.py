# Three clients of a server on 127.0.0.1:PORT (argv[1]), each half-closed
# and waiting in FIN-WAIT-2, then ended three ways: "handoff" closes and
# is handed to the timewait machinery (a timewait FIN-WAIT-2 entry),
# "reset" gets a reset from the server, "fin" gets the server's FIN and
# goes on as a TIME-WAIT entry. Prints "handoff P reset P fin P" with
# their local ports, then "done" once all three have ended, and holds the
# sockets for 30 s. Shared by watch-fin-wait2.sh and watch-time-wait.sh.
import socket
import struct
import sys
import time

port = int(sys.argv[1])
srv = socket.socket()
srv.bind(("127.0.0.1", port))
srv.listen(8)


def fin_wait2(c):
    # Until our FIN is acknowledged: FIN-WAIT-2 (state 05) in /proc/net/tcp.
    hexport = "%04X" % c.getsockname()[1]
    for _ in range(100):
        if any(l.split()[1].endswith(":" + hexport) and l.split()[3] == "05"
               for l in open("/proc/net/tcp").readlines()[1:]):
            return
        time.sleep(0.02)
    sys.exit("no FIN-WAIT-2 for port " + hexport)


a = socket.create_connection(("127.0.0.1", port)); sa = srv.accept()[0]
b = socket.create_connection(("127.0.0.1", port)); sb = srv.accept()[0]
c = socket.create_connection(("127.0.0.1", port)); sc = srv.accept()[0]
print("handoff", a.getsockname()[1], "reset", b.getsockname()[1],
      "fin", c.getsockname()[1], flush=True)
for x in (a, b, c):
    x.shutdown(socket.SHUT_WR)
    fin_wait2(x)
sc.close()                     # the peer's FIN: TIME-WAIT follows
a.close()                      # handed to the timewait machinery
# The server aborts its side: a reset ends the client's FIN-WAIT-2.
sb.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
sb.close()
time.sleep(0.3)
print("done", flush=True)
time.sleep(30)
