"""UDP payloads out of packet captures (pcap and pcapng, read with dpkt), and a small pcap writer for tests.

:func:`read_datagrams` yields ``(capture time, UDP payload)`` for every UDP packet of a capture (Ethernet, Linux
cooked, raw IP or BSD loopback links; IPv4 or IPv6; VLAN tags), and ``(None, whole file)`` for a file that is
not a capture (a raw recording of ASTERIX data blocks). Packets that are not UDP, or are cut short, are counted
in ``rejected`` and skipped; a capture whose file header is broken raises :class:`~borderwatch.errors.InputError`.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from borderwatch.errors import InputError

PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


def kind_of(path: Path | str) -> str:
    """``pcap``, ``pcapng`` or ``raw`` from the first four bytes."""
    with Path(path).open("rb") as fh:
        head = fh.read(4)
    if head in PCAP_MAGICS:
        return "pcap"
    if head == PCAPNG_MAGIC:
        return "pcapng"
    return "raw"


def _udp_payload(link: int, buf: bytes) -> bytes | None:
    import dpkt

    if link == dpkt.pcap.DLT_EN10MB:
        pkt = dpkt.ethernet.Ethernet(buf)
        ip = pkt.data
    elif link == dpkt.pcap.DLT_LINUX_SLL:
        ip = dpkt.sll.SLL(buf).data
    elif link in (dpkt.pcap.DLT_RAW, 101, 228, 229):
        ip = dpkt.ip.IP(buf) if buf and buf[0] >> 4 == 4 else dpkt.ip6.IP6(buf)
    elif link in (dpkt.pcap.DLT_NULL, dpkt.pcap.DLT_LOOP):
        ip = dpkt.loopback.Loopback(buf).data
    else:
        return None
    if not isinstance(ip, dpkt.ip.IP | dpkt.ip6.IP6):
        return None
    udp = ip.data
    if not isinstance(udp, dpkt.udp.UDP):
        return None
    return bytes(udp.data)


def read_datagrams(path: Path | str, rejected: Counter[str] | None = None) -> Iterator[tuple[float | None, bytes]]:
    """``(capture time, UDP payload)`` per UDP packet, or one ``(None, bytes)`` for a raw recording."""
    import dpkt

    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", source=str(p))
    rej = rejected if rejected is not None else Counter()
    kind = kind_of(p)
    if kind == "raw":
        yield None, p.read_bytes()
        return
    with p.open("rb") as fh:
        try:
            reader = dpkt.pcap.Reader(fh) if kind == "pcap" else dpkt.pcapng.Reader(fh)
        except (ValueError, dpkt.dpkt.Error, EOFError) as e:
            raise InputError(f"not a readable {kind} file ({e})", source=str(p)) from None
        link = reader.datalink()
        it = iter(reader)
        while True:
            try:
                ts, buf = next(it)
            except StopIteration:
                break
            except (ValueError, dpkt.dpkt.Error, EOFError, struct.error):
                rej["capture: truncated packet record"] += 1
                break
            try:
                pl = _udp_payload(link, bytes(buf))
            except (dpkt.dpkt.Error, ValueError, IndexError, struct.error):
                rej["packet: cut short"] += 1
                continue
            if pl is None:
                rej["packet: not UDP"] += 1
                continue
            yield float(ts), pl


def write_pcap(path: Path | str, datagrams: list[tuple[float, bytes]], *, port: int = 8600) -> None:
    """Write UDP datagrams (127.0.0.1:port -> 127.0.0.1:port, Ethernet) as a classic pcap (tests, tshark)."""
    import dpkt

    with Path(path).open("wb") as fh:
        w = dpkt.pcap.Writer(fh)
        for ts, payload in datagrams:
            u = dpkt.udp.UDP(sport=port, dport=port, data=payload)
            u.ulen = len(u)
            ip = dpkt.ip.IP(src=b"\x7f\x00\x00\x01", dst=b"\x7f\x00\x00\x01", p=dpkt.ip.IP_PROTO_UDP, data=u)
            ip.len = len(ip)
            eth = dpkt.ethernet.Ethernet(data=ip, type=dpkt.ethernet.ETH_TYPE_IP)
            w.writepkt(bytes(eth), ts=ts)
