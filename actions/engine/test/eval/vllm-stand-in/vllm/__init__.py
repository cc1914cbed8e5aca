"""Stand-in for the vllm package in the evaluation tests: Inspect's vllm provider imports it
to check that vLLM is installed before it launches `vllm serve`. The server is bin/vllm."""
__version__ = "0.11.0+ptb-stand-in"
