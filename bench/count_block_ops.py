#!/usr/bin/python3
"""Instructions of one 16-cell block of the network's update, from the compiled bench_network (objdump).

Usage:  /usr/bin/python3 bench/count_block_ops.py build/bench/bench_network [more binaries...]

Takes the RS cells' loop of partition::step_cells and counts the instructions a whole block executes when no
cell spikes or diverges (the common case), all of them, those on 512-bit or mask registers, and of these the
arithmetic, compares, blends, mask operations and masked moves (plain loads, register moves and broadcasts
excluded). Two layouts of the loop are recognised:
- before the eighth pass, one loop over the 8 blocks of a group, with a short-block test (`cmp $0xf`): from that
  test through the drive-event compare to the test before the whole-block stores (`cmp $0x10,%rsi`), +7 (the five
  stores and two instructions of the whole-block path); the loop's own bookkeeping is not counted;
- from the eighth pass, the whole-group loop over pairs of blocks (two exponentials, no Philox rounds in it): its
  path with no spike and no divergence, loop bookkeeping included, halved.
The group's Philox rounds (once per 8 blocks) are not counted. bench/README.md, "One thread, fifth pass" and
"Eighth pass".
"""
import argparse
import os
import re
import subprocess
import sys

SYMBOL = ("cortexloop::engine::partition::step_cells(cortexloop::engine::network_model const&, "
          "cortexloop::engine::network_state&, cortexloop::engine::step_inputs const&, unsigned int)")
PLAIN = re.compile(r"v(movups|movdqu32|movaps|movdqa32|movdqa64|broadcastss|pbroadcastd)\b")


class NotThisBinary(Exception):
    """The binary holds no loop this script can read (a wrong file: /bin/true ended in a StopIteration traceback, an
    outside audit)."""


def disassemble(binary):
    try:
        done = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", binary, "--disassemble=" + SYMBOL],
                              capture_output=True, text=True)
    except FileNotFoundError:
        sys.exit("count_block_ops.py: objdump not found (apt-get install binutils)")
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()
        raise NotThisBinary(f"objdump cannot read it: {said[-1] if said else f'exit {done.returncode}'}")
    out = done.stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s+([0-9a-f]+):\t(.*)", line)
        if m:
            rows.append((int(m.group(1), 16), re.sub(r"\s*<[^>]*>", "", m.group(2)).strip()))
    return rows


def jump_target(ins):
    m = re.match(r"j\w+\s+([0-9a-f]+)$", ins)
    return int(m.group(1), 16) if m else None


def pair_loop_path(rows):
    """The no-spike path through the first loop that steps two blocks and draws nothing, or None."""
    where = {addr: i for i, (addr, _) in enumerate(rows)}
    for end, (addr, ins) in enumerate(rows):
        target = jump_target(ins)
        if target is None or target >= addr or target not in where:
            continue
        body = [x for _, x in rows[where[target]:end + 1]]
        if sum(x.startswith("vscalefps") for x in body) != 2 or any(x.startswith("vpmuludq") for x in body):
            continue
        path, i = [], where[target]
        while i <= end and len(path) <= end - where[target] + 1:  # longer: not this loop (it jumped back)
            x = rows[i][1]
            path.append(x)
            t = jump_target(x)
            if i == end:
                break
            if t is not None and x.startswith("jmp"):
                i = where[t]
            elif t is not None and rows[i][0] < t <= addr and any(
                    y.startswith("tzcnt") for _, y in rows[i:where[t]]):
                i = where[t]  # past the spike list: no cell spiked
            else:
                i += 1  # divergence handled out of line: none diverged
        if path and path[-1] == ins:
            return path, 2
    return None


def whole_block_path(rows):
    ins = [x for _, x in rows]
    try:
        event = next(i for i, x in enumerate(ins) if x.startswith(("vpcmpnleud", "vpcmpltud")))
        start = max(i for i in range(event) if ins[i].startswith("cmp    $0xf"))
        end = next(i for i in range(event, len(ins)) if ins[i].startswith("cmp    $0x10,%rsi"))
    except (StopIteration, ValueError):
        raise NotThisBinary("partition::step_cells holds neither layout of the loop this script knows (see its "
                            "--help)") from None
    return ins[start:end], 1, 7


def count(binary):
    rows = disassemble(binary)
    if not rows:
        raise NotThisBinary("no partition::step_cells in it (not a compiled bench_network, or built without symbols)")
    found = pair_loop_path(rows)
    path, blocks, extra = (*found, 0) if found else whole_block_path(rows)
    wide = [x for x in path if "zmm" in x or x.startswith("k")]
    arith = [x for x in wide if not PLAIN.match(x) or "{" in x]
    return (len(path) + extra) / blocks, len(wide) / blocks, len(arith) / blocks


def main():
    parser = argparse.ArgumentParser(description="Instructions per 16-cell block of the network's update "
                                     "(partition::step_cells, RS loop, no spike), read with objdump.")
    parser.add_argument("binaries", nargs="+", metavar="BINARY",
                        help="a compiled bench_network (e.g. build/bench/bench_network)")
    binaries = parser.parse_args().binaries
    for binary in binaries:  # every one before the first is read
        if not os.path.isfile(binary):
            parser.error(f"{binary}: no such file")
    for binary in binaries:
        try:
            total, wide, arith = count(binary)
        except NotThisBinary as e:
            parser.error(f"{binary}: {e}")
        print(f"{binary}: {total:g} instructions per block, {wide:g} on zmm/mask registers, {arith:g} of them "
              f"arithmetic, compares, blends or mask operations")


if __name__ == "__main__":
    main()
