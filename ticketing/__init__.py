"""ticketing"""
