"""The demo OMS: a small reference Order Management System for trying Seller Center out.

It is not part of Seller Center's URLs; it runs on its own (``python -m demo_oms``) and plays
the Venture's side of ``oms-api.md``: it serves ``getStatusDetailOptionList`` with the options
of the feature description, checks Seller Center's signature, and pushes a scripted day of
events to Seller Center's ``/oms-api/`` through the reference client.
"""
