"""Signed volunteer-service certificates (志愿服务记录证明, issue 14 item 7): the document a node
issues on a volunteer's request (document.py), what the node keeps of it (service.py), and the
offline check anyone can run with the federation directory (verify.py)."""
