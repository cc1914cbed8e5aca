"""PostTrainBench's own Inspect tasks and the helpers they share.

Benchmarks the original scores with inspect_evals run those tasks directly; the ones it
scores with scripts of its own (gpqamain, arenahardwriting, healthbench) are Inspect tasks
here, one folder each, written for this project. Data, chat templates, judge prompts and
reference answers come from the evaluation data cache (see data.py), filled at build time
from the pinned sources of sources.json.
"""
