import gdb
gdb.execute("set pagination off"); gdb.execute("set confirm off")
bp = gdb.Breakpoint("ivfpq_retrain_write.c:35")
gdb.execute("continue")
blk = int(gdb.parse_and_eval("(unsigned int) BufferGetBlockNumber(buf)"))
open("/tmp/pgvq-fsm-race/p", "w").write(str(blk))
print("A stopped in NextPage with block %d unlocked" % blk)
bp.delete()
import time
while not __import__('os').path.exists("/tmp/pgvq-fsm-race/b_done"):
    time.sleep(0.5)
print("A continues")
gdb.execute("detach")
