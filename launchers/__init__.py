"""Launchers: programs that start processes by asking the engine, which alone writes process state.

:mod:`launchers.client` is the call any program uses; :mod:`launchers.calendar` launches on calendar rules
(each occurrence once, across restarts); :mod:`launchers.webhook` launches on verified GitHub-style webhooks.
"""
