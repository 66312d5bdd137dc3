import gdb, os, time
gdb.execute("set pagination off"); gdb.execute("set confirm off")
while not os.path.exists("/tmp/pgvq-fsm-race/p"):
    time.sleep(0.2)
p = int(open("/tmp/pgvq-fsm-race/p").read())
bp = gdb.Breakpoint("GetFreeIndexPage")
gdb.execute("continue")
print("B in GetFreeIndexPage; the free space map hands it block %d too" % p)
bp.delete()
gdb.execute("return (BlockNumber) %d" % p)
gdb.execute("detach")
