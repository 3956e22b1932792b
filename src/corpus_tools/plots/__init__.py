"""Figures: one function per figure, tables in → matplotlib Figure out; :mod:`.style` sets the CJK font once."""
