# SPDX-License-Identifier: MIT
# replay-tables.awk - the end state of a Linux 6.1 ftrace capture, worked
# out from the capture alone, as ground truth for `iommu-policy replay`
# (tests/cli-replay.sh compares the two).  It shares no code with the
# replay's parser or planner: POSIX awk (mawk runs it), nothing else.
#
# It prints two independent accounts of what is mapped at the end:
#
#   kprobe DOM MAPS UNMAPS PIECES PAGES
#                         (a) per domain pointer, from the kprobes on
#                         intel_iommu_map_pages / intel_iommu_unmap_pages
#                         (iommu-policy-replay(1)): a map call adds the
#                         pgsize * pgcount bytes at iova, an unmap call
#                         takes them away.  MAPS and UNMAPS count the
#                         calls, PAGES the 4 KiB pages live at the end,
#                         PIECES the live pieces: each map cut at every
#                         boundary that an unmap of some of its pages
#                         draws inside it (what the replay calls a
#                         piece, docs/iommu-policy.md).
#   calls MAPS UNMAPS     the kprobe calls and the iommu:map/unmap event
#   events MAPS UNMAPS    lines: when they are equal each event is one
#                         call, and MAPS, UNMAPS and PIECES above count
#                         what the replay counts per address space.
#   pieces N              all pieces, live or not (the replay's segments).
#   kprobe_overlaps N     pages mapped again while mapped, and
#   kprobe_holes N        pages unmapped while not mapped (both 0 when
#                         the calls are consistent).
#   table PGD PAGES       (b) per page-table root, the 4 KiB pages its
#                         present leaf entries map, from the stores Linux
#                         made into its tables: a kprobe on
#                         clflush_cache_range(addr, size) printing
#                         addr=, size= and the two quadwords at addr
#                         (q0=, q1=) after the store it flushes.
#   table_base B          the direct-map base found (virt = B + phys),
#   table_pages N         and how many table pages the walk visited.
#
# How (b) reads the tables, and where it has to lean on Linux's code
# (drivers/iommu/intel/iommu.c, 6.1) because the probe shows only the
# first 16 bytes of each flushed range:
#   - Every store into a table is flushed (the unit in the capture is
#     not coherent), and the probe runs after the store, so q0 (and q1
#     when size >= 16) are the final values at addr (and addr + 8).
#   - A range flush whose q0 is 0 holds only zeros: a freshly allocated
#     table page (size 4096), or the entries dma_pte_clear_range() /
#     dma_pte_clear_level() cleared, which run contiguous from the first
#     to the last one flushed.
#   - A range flush larger than 16 bytes whose q0 is not 0 is a run of
#     leaf entries __domain_mapping() just stored, one value per entry,
#     each one page (of the entry's level) past the one before: its
#     entries are taken to be q0 + i * (q1 - q0).  That presence is
#     certain from the code path; the values past q1 are extrapolated,
#     and they do not matter here (leaves are counted, not followed).
#   - Table pointers are stored one at a time by pfn_to_dma_pte()
#     (size 8), so every pointer the walk follows was seen exactly.
#   - Tables freed by an unmap keep their old entries (Linux only clears
#     the parent pointer), so the leaves are counted by walking from the
#     roots, never by scanning every entry ever stored.
# The roots are the pgd= and agaw= of a kprobe on
# domain_context_mapping_one() (as in tests/data/README.md).  A pointer
# value is a physical address; the direct-map offset that turns it into
# the virtual address the flush probe prints is found from the capture:
# pfn_to_dma_pte() zeroes and flushes a new table page right before it
# stores the pointer to it.  Any step that does not fit prints
# "error: ..." and makes the script exit 1.
#
# Numbers: awk's are doubles, exact to 2^53.  Kernel virtual addresses
# (0xffff + 12 hex digits) are kept as their low 48 bits; array keys and
# printed numbers go through sprintf("%.0f"), since awk would otherwise
# write large integers as "%.6g".

function die(msg) {
	printf "error: line %d: %s\n", NR, msg
	failed = 1
	exit 1
}

function hexval(s,   i, d, v) {
	if (substr(s, 1, 2) != "0x" || length(s) < 3 || length(s) > 15)
		die("not a hexadecimal number of at most 52 bits: " s)
	v = 0
	for (i = 3; i <= length(s); i++) {
		d = index("0123456789abcdef", substr(s, i, 1))
		if (!d)
			die("not a hexadecimal number: " s)
		v = v * 16 + d - 1
	}
	return v
}

# The low 48 bits of a kernel virtual address 0xffffXXXXXXXXXXXX.
function kva(s) {
	if (length(s) != 18 || substr(s, 1, 6) != "0xffff")
		die("not a kernel virtual address: " s)
	return hexval("0x" substr(s, 7))
}

# X (below 2^48) as the kernel virtual address 0xffff + 12 hex digits;
# printf's %x is no use, mawk clips it to 32 bits.
function kvastr(x,   s, i, d) {
	s = ""
	for (i = 0; i < 12; i++) {
		d = x % 16
		s = substr("0123456789abcdef", d + 1, 1) s
		x = (x - d) / 16
	}
	return "0xffff" s
}

function key(x) {
	return sprintf("%.0f", x)
}

# The value of field NAME=... on this line, "" when absent.
function field(name,   i, n) {
	n = length(name) + 1
	for (i = 1; i <= NF; i++)
		if (substr($i, 1, n) == name "=")
			return substr($i, n + 1)
	return ""
}

function need(name,   v) {
	v = field(name)
	if (v == "")
		die("no " name "= field")
	return v
}

# Count the 4 KiB pages present leaves map in table T (low 48 bits of
# its virtual address) at level L, following pointers down.
function walk(t, l,   i, k, v, n, child) {
	if (key(t) in walked)
		die("table " key(t) " reached twice")
	walked[key(t)] = 1
	tables++
	n = 0
	for (i = 0; i < 512; i++) {
		k = key(t + 8 * i)
		if (!(k in mem) || mem[k] == 0)
			continue
		v = mem[k]
		if (v == "?")
			die("a walked entry was stored by a flush this script cannot read")
		if (v % 2 == 0 && int(v / 2) % 2 == 0)
			die("entry " k " is neither readable nor writable but not 0")
		if (l == 1 || int(v / 128) % 2 == 1) {
			n += 512 ^ (l - 1)
			continue
		}
		child = v - v % 4096 + base
		if (!(key(child) in zeroed))
			die("entry " k " points to a page the capture never zeroed")
		n += walk(child, l - 1)
	}
	return n
}

{
	# A capture read from a serial console ends its lines with \r\n.
	sub(/\r$/, "")
	# The event's payload starts after "SECONDS.FRACTION: NAME:".
	for (f = 1; f < NF; f++)
		if ($f ~ /^[0-9]+\.[0-9]+:$/)
			break
	if (f >= NF - 1)
		next
	sym = $(f + 2)
	cpu = ""
	for (i = 1; i < f; i++)
		if ($i ~ /^\[[0-9]+\]$/)
			cpu = $i
}

# iommu:map and iommu:unmap event lines, only counted.
sym == "IOMMU:" && $(f + 1) == "map:" { evmaps++; next }
sym == "IOMMU:" && $(f + 1) == "unmap:" { evunmaps++; next }

sym ~ /^\(intel_iommu_map_pages\+0x0\//  { op = 1 }
sym ~ /^\(intel_iommu_unmap_pages\+0x0\// { op = -1 }
sym ~ /^\(intel_iommu_(un)?map_pages\+0x0\// {
	d = need("dom")
	iova = hexval(need("iova"))
	npages = hexval(need("pgsize")) / 4096 * hexval(need("pgcount"))
	if (iova % 4096 || npages < 1 || npages != int(npages))
		die("iova or size not 4 KiB aligned")
	if (!(d in live)) {
		live[d] = 0
		nmaps[d] = nunmaps[d] = 0
		doms[ndom++] = d
	}
	p0 = iova / 4096
	p1 = p0 + npages
	if (op > 0) {
		nm++
		nmaps[d]++
		mdom[nm] = d
		mlo[nm] = p0
		mhi[nm] = p1
	} else {
		nu++
		nunmaps[d]++
		split("", hit)
	}
	# owner[]: the map call whose page it is, while it is mapped.
	for (p = p0; p < p1; p++) {
		k = d SUBSEP key(p)
		if (op > 0) {
			if (k in owner) {
				overlaps++
			} else {
				owner[k] = nm
				live[d]++
			}
		} else if (k in owner) {
			hit[owner[k]] = 1
			delete owner[k]
			live[d]--
		} else {
			holes++
		}
	}
	# An unmap cuts each map it took pages from where its ends fall
	# inside that map.
	if (op < 0)
		for (m in hit) {
			if (p0 > mlo[m] && p0 < mhi[m])
				cut[m SUBSEP key(p0)] = 1
			if (p1 > mlo[m] && p1 < mhi[m])
				cut[m SUBSEP key(p1)] = 1
		}
	next
}

sym ~ /^\(domain_context_mapping_one\+0x0\// {
	pgd = need("pgd")
	agaw = need("agaw")
	if (agaw !~ /^[0-9]$/)
		die("agaw= is not a small decimal number")
	if (!(pgd in rootlevel))
		roots[nroot++] = pgd
	rootlevel[pgd] = agaw + 2
	next
}

sym ~ /^\(clflush_cache_range\+0x0\// {
	a = kva(need("addr"))
	size = need("size")
	q0 = need("q0")
	if (size !~ /^[0-9]+$/ || (size += 0) % 8 || size < 8 || size > 4096)
		die("size= is not a multiple of 8 in [8, 4096]")
	if (q0 == "0x0") {
		for (i = 0; i < size; i += 8)
			mem[key(a + i)] = 0
		if (size == 4096 && a % 4096 == 0)
			zeroed[key(a)] = 1
		last_zero[cpu] = a
		next
	}
	if (size > 16) {
		v = length(q0) <= 15 ? hexval(q0) : -1
		q1 = need("q1")
		step = length(q1) <= 15 ? hexval(q1) - v : -1
		# Not a leaf run of __domain_mapping(): remember it is unknown.
		if (v < 0 || step < 4096 || step % 4096) {
			for (i = 0; i < size; i += 8)
				mem[key(a + i)] = "?"
		} else {
			for (i = 0; i < size; i += 8)
				mem[key(a + i)] = v + i / 8 * step
		}
	} else {
		# Other tables (context, interrupt remapping) can hold values
		# past 52 bits: they are never walked, keep them unread.
		mem[key(a)] = length(q0) <= 15 ? hexval(q0) : "?"
		if (size == 16) {
			q1 = need("q1")
			mem[key(a + 8)] = length(q1) <= 15 ? hexval(q1) : "?"
		}
		# pfn_to_dma_pte(): a pointer store (R|W, not a superpage)
		# right after its page was zeroed on this CPU.
		if (size == 8 && (cpu in last_zero)) {
			v = mem[key(a)]
			if (v != "?" && v % 4096 == 3) {
				b = last_zero[cpu] - (v - 3)
				cand[key(b)]++
			}
		}
	}
	delete last_zero[cpu]
	next
}

END {
	if (failed)
		exit 1
	# A piece starts at its map's first page or at a cut; it is live
	# when its first page still belongs to its map (an unmap takes a
	# piece whole, since its ends are cuts).
	for (m = 1; m <= nm; m++) {
		d = mdom[m]
		for (p = mlo[m]; p < mhi[m]; p++) {
			if (p != mlo[m] && !((m SUBSEP key(p)) in cut))
				continue
			npieces++
			k = d SUBSEP key(p)
			if ((k in owner) && owner[k] == m)
				livepieces[d]++
		}
	}
	for (i = 0; i < ndom; i++) {
		d = doms[i]
		printf "kprobe %s %d %d %d %.0f\n", d, nmaps[d], nunmaps[d],
			livepieces[d], live[d]
	}
	printf "kprobe_overlaps %d\nkprobe_holes %d\n", overlaps, holes
	printf "calls %d %d\nevents %d %d\npieces %d\n", nm, nu,
		evmaps, evunmaps, npieces
	best = ""
	for (b in cand)
		if (best == "" || cand[b] > cand[best])
			best = b
	if (best == "") {
		if (nroot)
			die("no table pointer store follows a page zeroing: no direct-map offset")
		exit 0
	}
	base = best + 0
	for (i = 0; i < nroot; i++)
		printf "table %s %.0f\n", roots[i], walk(kva(roots[i]), rootlevel[roots[i]])
	printf "table_base %s\ntable_pages %d\n", kvastr(base), tables
}
