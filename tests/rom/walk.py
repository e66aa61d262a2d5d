#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An independent walk of option ROM files, to check tests/rom/real-roms.tsv.

Written apart from ctl/romparse.c, from the same sources: the PCI Firmware
spec (0x55AA, the PCIR pointer at 0x18, image length at PCIR+0x10 in 512-byte
units, code type at +0x14, last-image bit 7 of +0x15) and nouveau's
nvkm/subdev/bios/image.c, npde.c and pcir.c (signatures 0x55AA, 0x77BB and
"VN"; structures PCIR, RGIS and NPDS; the NPDE at (PCIR + PCIR length + 0xf)
& ~0xf from the image start, length at +0x08, last at bit 7 of +0x0a,
overriding PCIR except for type 0x70, which is always last).

Prints, per file: name, images, chained, copies, in the table's notation.
"""
import struct
import sys


def u16(d, o):
    return struct.unpack_from('<H', d, o)[0]


def image(d, off, nvidia):
    """(pcir_len, pcir_last, type, npde_len, npde_last, vendor) or None."""
    sigs = (0xaa55, 0xbb77, 0x4e56) if nvidia else (0xaa55,)
    structs = (b'PCIR', b'RGIS', b'NPDS') if nvidia else (b'PCIR',)
    if off + 0x1a > len(d) or u16(d, off) not in sigs:
        return None
    p = u16(d, off + 0x18)
    if not p or off + p + 0x18 > len(d) or d[off + p:off + p + 4] not in structs:
        return None
    plen = u16(d, off + p + 0x10) * 512
    typ = d[off + p + 0x14]
    last = bool(d[off + p + 0x15] & 0x80)
    n = off + ((p + u16(d, off + p + 0x0a) + 0xf) & ~0xf)
    npde = None
    if n + 0x0b <= len(d) and d[n:n + 4] == b'NPDE':
        npde = (u16(d, n + 8) * 512, bool(d[n + 0x0a] & 0x80))
    return plen, last, typ, npde, u16(d, off + p + 4)


def nv_walk(d, off, out):
    """NVIDIA's chain from off; complete images into out; returns the end."""
    while off < len(d):
        im = image(d, off, True)
        if not im:
            break
        plen, last, typ, npde, _ = im
        size = plen
        if typ == 0x70:
            last = True
        elif npde:
            size, last = npde
        if not size or off + size > len(d):
            break
        out.append((off, typ, size))
        off += size
        if last:
            break
    return off


def walk(d):
    lead = 0
    if len(d) < 2 or u16(d, 0) != 0xaa55:
        lead = next((o for o in range(1, len(d)) if image(d, o, False)), None)
        if lead is None:
            return '-', '-', '-'
    imgs, off, complete = [], lead, False
    while True:
        im = image(d, off, False)
        if not im or not im[0] or off + im[0] > len(d):
            break
        imgs.append((off, im[2]))
        last_im = im
        off += im[0]
        if im[1]:
            complete = True
            break
        if off >= len(d):
            break
    chained, chain_end = [], off
    if complete and last_im[3] and not last_im[3][1] and last_im[2] != 0x70:
        chain_end = nv_walk(d, imgs[-1][0] + last_im[3][0], chained)
    copies = []
    if complete:
        first = off - lead
        o = lead + -(-(chain_end - lead) // 512) * 512
        while o < len(d) and len(copies) < 4:
            im = image(d, o, False)
            tmp = []
            if im and im[4] == image(d, lead, False)[4]:
                end = nv_walk(d, o, tmp)
                if tmp:
                    same = d[o:o + first] == d[lead:lead + first]
                    copies.append('0x%x%s' % (o, '=' if same else '!='))
                    o = lead + -(-(end - lead) // 512) * 512
                    continue
            o += 512

    def fmt(items):
        return ','.join(items) if items else '-'
    return (fmt(['0x%x:%02x' % i for i in imgs]),
            fmt(['0x%x:%02x' % (o, t) for o, t, _ in chained]),
            fmt(copies))


for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        data = f.read()
    print('\t'.join((path.rsplit('/', 1)[-1],) + walk(data)))
