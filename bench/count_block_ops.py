#!/usr/bin/env python3
"""Instructions of one 16-cell block of the network's update, from the compiled bench_network (objdump).

Usage:  /usr/bin/python3 bench/count_block_ops.py build/bench/bench_network [more binaries...]

Takes the first block loop of partition::step_cells (the RS cells' loop): from the test of a whole block
(`cmp $0xf`) through the drive-event compare to the test before the whole-block stores (`cmp $0x10,%rsi`), and
counts all instructions there (+7: the five stores and two instructions of the whole-block path), those on
512-bit or mask registers, and of these the arithmetic, compares, blends, mask operations and masked moves (plain
loads, register moves and broadcasts excluded). The group's Philox rounds (once per 8 blocks) and the spike-list
bookkeeping after the block are not counted. bench/README.md, "One thread, fifth pass".
"""
import re
import subprocess
import sys

SYMBOL = ("cortexloop::engine::partition::step_cells(cortexloop::engine::network_model const&, "
          "cortexloop::engine::network_state&, cortexloop::engine::step_inputs const&, unsigned int)")


def count(binary):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", binary, "--disassemble=" + SYMBOL],
                         capture_output=True, text=True, check=True).stdout
    ins = [l.split("\t", 1)[1].strip() for l in out.splitlines() if re.match(r"\s+[0-9a-f]+:\t", l)]
    event = next(i for i, x in enumerate(ins) if x.startswith(("vpcmpnleud", "vpcmpltud")))
    start = max(i for i in range(event) if ins[i].startswith("cmp    $0xf"))
    end = next(i for i in range(event, len(ins)) if ins[i].startswith("cmp    $0x10,%rsi"))
    block = ins[start:end]
    wide = [x for x in block if "zmm" in x or x.startswith("k")]
    plain = re.compile(r"v(movups|movdqu32|movaps|movdqa32|broadcastss|pbroadcastd)\b")
    arith = [x for x in wide if not plain.match(x) or "{" in x]
    return len(block) + 7, len(wide), len(arith)


def main():
    for binary in sys.argv[1:]:
        total, wide, arith = count(binary)
        print(f"{binary}: {total} instructions per block, {wide} on zmm/mask registers, {arith} of them arithmetic, "
              f"compares, blends or mask operations")


if __name__ == "__main__":
    main()
