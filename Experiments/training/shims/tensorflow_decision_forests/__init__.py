"""Empty stand-in for tensorflow_decision_forests.

tensorflowjs 4.22 imports tensorflow_decision_forests when its converter starts,
but the real package does not load under TensorFlow 2.21. Stratum never converts
decision forests, so an empty module is enough. Put the parent folder
(Experiments/training/shims) on PYTHONPATH when running the converter.
"""
