"""Plotly figures as plain specs: the dicts plotly.js draws, written as JSON into the pages.

Building them with plotly's graph objects validated every property of every trace (about 10 ms a
figure, and the site has over a thousand), and embedded plotly's default template in every figure.
plotly.js reads these dicts as they are. Titles are objects ({"text": ...}): plotly.js 3 and later
no longer read a bare string.
"""

from __future__ import annotations


def title(text: str, **kw) -> dict:
    return {"text": text, **kw}


def trace(kind: str, **kw) -> dict:
    return {"type": kind, **kw}


def figure(data: list[dict], **layout) -> dict:
    return {"data": data, "layout": layout}
