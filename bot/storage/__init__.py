"""Redis access, all of it: the client and its bounded pool (`client`), Sentinel and Cluster
(`topology`), URLs (`url`), the embedded server (`embedded`) and its sharing between the apps of
one process (`shared`), locks (`locks`) and batched round trips (`batching`). Which keys exist
and who writes each is `bot.keys`; the stores of each feature are the only writers.
"""
