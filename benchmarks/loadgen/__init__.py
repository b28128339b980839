"""The C load generator (loadgen.c) and the Python side that drives it: legs and
conferences made through uc_media's API, their ports and SRTP keys handed to the generator
in a CSV file (see loadgen.c for the format)."""
