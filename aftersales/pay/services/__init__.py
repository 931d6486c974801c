"""Writes of the pay app, split by topic: policies, inputs, runs, appraisals."""
