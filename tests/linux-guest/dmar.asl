/*
 * SPDX-License-Identifier: MIT
 *
 * tests/linux-guest/dmar.asl - the DMAR table tests/linux-guest/run.sh
 * hands a Linux guest with `-acpitable file=dmar.aml` (compiled by iasl,
 * acpica-tools: `iasl -p dmar dmar.asl`; iasl fills in the length and
 * checksum).  iasl's data-table syntax: [ByteLength] Field : Value.
 *
 * One DRHD whose register base is the guest-RAM page viommu-host serves
 * (0x10000000, which the kernel skips with memmap=4K$0x10000000), not
 * INCLUDE_PCI_ALL, with one device scope: the PCI endpoint 00:03.0
 * (QEMU's edu, `-device edu,addr=03.0`).
 *
 * Flags 0: no INTR_REMAP.  The engine's default unit advertises
 * interrupt remapping in ECAP, but without the DMAR flag (and without an
 * IOAPIC scope) Linux does not turn it on; run.sh also passes
 * intremap=off.  Host Address Width 0x26: 39 bits, the default unit's
 * MGAW and 3-level SAGAW.
 */
[0004]                          Signature : "DMAR"    [DMA Remapping table]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "LIOMMU"
[0008]                       Oem Table ID : "LNXGUEST"
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0001]                 Host Address Width : 26
[0001]                              Flags : 00
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018

[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 0000000010000000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00

[0002]                           PCI Path : 03,00
