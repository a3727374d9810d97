"""The training service's entrypoints, one class per area, gathered by ``training.service.TrainingService``.

Each method loads its input through its contract (``@accepts``) and calls one
domain function or repository; the dependencies (``store``, ``caller``,
``events``, ...) are declared on ``TrainingService``.
"""
