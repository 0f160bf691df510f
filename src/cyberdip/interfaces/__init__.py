"""Interfaces: parse input, call one service, render. CLI, JSON API, web pages."""
