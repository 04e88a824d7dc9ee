"""The only place numbers become strings: text, JSON, Markdown, CSV, HTML.

    numbers   1,102; 3.81 MiB; [1, 3, 224, 224]
    table     aligned plain-text and Markdown tables
    formula   a count as a sum with the numbers in it
    report    a count: layer table, totals, memory table, worked sums (text, Markdown, CSV, HTML)
    compare   several counts side by side
    json      one JSON schema per result, for the CLI and the web API
    plan      the memory planner's results
    design    search, growth, initialization, sparsity
    diff      two sources of one model
    presets   the preset list

Each is imported from its module (nnsize.render.report.render): importing render/ imports none
of them, so that a count's text does not load the JSON, comparison or planner renderers.
"""

from __future__ import annotations
