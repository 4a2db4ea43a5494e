"""``citytwin bench``: what a device sustains on the edge path, per stage, measured the same way everywhere.

The benchmark decodes real frames and runs each stage of the edge loop on
them (decode, preprocess, inference, postprocess with NMS, tracking,
analytics, serialise and publish) across a matrix of model, input size,
threads and execution provider. It sets the inference stage's achieved
GFLOP/s (FLOPs counted from the ONNX graph) against the device's own GEMM
peak, measures end-to-end latency from capture to an event arriving through
the real broker, and writes one JSON file per model under
``hardware/results/<device>/``; ``citytwin bench report`` compares them all.
"""
