"""Simulations: run a definition on a virtual clock with scripted participants, print its timeline."""

from engine.simulate.runner import Outcome, Simulation
from engine.simulate.script import Action, Response, Script, ScriptError, read_script
from engine.simulate.timeline import render_timeline

__all__ = ["Action", "Outcome", "Response", "Script", "ScriptError", "Simulation", "read_script",
           "render_timeline"]
