"""Runtime: seeding, the pool of compiled models, memory, and the fit/predict runner."""
