"""The tests' PDF reader cuts each stream by its /Length: one compressed stream in 256 ends in a
carriage return, which a reader searching for ``endstream`` dropped (and with it the page's text)."""

import zlib

from .pdf_text import pdf_text


def test_a_page_whose_compressed_stream_ends_in_a_carriage_return_is_read():
    content = next(
        page
        for n in range(2000)
        if zlib.compress(page := b"BT (\x00A" + b"\x00B" * n + b") Tj ET").endswith(b"\r")
    )
    data = zlib.compress(content)
    unicode_map = (
        b"/CIDSystemInfo << /Ordering (UCS) >>\nbeginbfchar\n<0041> <4E00>\n<0042> <4E8C>\nendbfchar\n"
    )
    pdf = b"".join(
        [
            b"%%PDF-1.4\n1 0 obj\n<</Length %d>>\nstream\n" % len(unicode_map),
            unicode_map,
            b"\nendstream\nendobj\n2 0 obj\n<</Filter /FlateDecode /Length %d>>\nstream\n" % len(data),
            data,
            b"\nendstream\nendobj\n",
        ]
    )

    assert pdf_text(pdf) == "一" + "二" * content.count(b"\x00B")
