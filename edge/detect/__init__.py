"""Detection: ONNX detector plugins that turn a frame into ``Detections``."""
