"""Recommenders behind one contract (:mod:`.base`): the book's own (:mod:`.mf`,
:mod:`.feature_mf`, :mod:`.hybrid`), established libraries (:mod:`.peers`) and
Spark's ALS (:mod:`.spark_als`). Import the module you need; nothing is
imported here (torch and Spark are heavy).
"""
