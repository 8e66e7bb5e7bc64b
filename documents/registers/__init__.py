"""Printed registers of carriers (SPEC §11): one row builder per register, shared by PDF and XLSX.
The registers app finds `REGISTERS` below and prints, audits and queues them; this package never
imports it (ARCHITECTURE "The house": documents sits below registers).

Every row comes from `carrier_list_visible_to`, so a register holds exactly what its reader may
see (SPEC §4); the three admin roles are refused outright (they see no carrier content).

Registers (columns per regulations_cn.md §8 and the SPEC §3 fields):
* ``incoming`` 收文登记簿 — carriers received (收文).
* ``outgoing`` 发文登记簿 — carriers the unit produced: both 发文 and 自产. Both carry the
  定密 record DM14 art. 21 asks for (承办人、定密责任人、定密依据), which is what this book
  exists to show; a 类型 column tells them apart and the direction filter narrows to one.
* ``ledger``   涉密载体台账 — every carrier, whatever its direction.

The registers of requests (借阅登记簿, 复制登记簿, 销毁清单) are declared by approvals/registers.py.
* ``circulation`` 传阅单 — one circulation (parameter ``circulation``): the carrier at the top, one
  row per reader with the 阅签 time and comment.
"""
from secrecy.printing import RegisterSpec

from . import carriers, circulation, inventory

REGISTERS = (
    RegisterSpec(name="incoming", title=carriers.INCOMING.title, build=carriers.incoming,
                 count=carriers.incoming_count),
    RegisterSpec(name="outgoing", title=carriers.OUTGOING.title, build=carriers.outgoing,
                 count=carriers.outgoing_count),
    RegisterSpec(name="ledger", title=carriers.LEDGER.title, build=carriers.ledger, count=carriers.ledger_count),
    # 清查 (账物核对): the unit's every carrier for the secrecy office, content masked out of scope.
    *(RegisterSpec(name=book.name, title=book.title, build=carriers.inventory_builder(book),
                   count=carriers.book_counter(book), inventory=True, may_print=inventory.may_print,
                   refusal=inventory.REFUSAL, signoff=inventory.SIGNOFF)
      for book in (carriers.LEDGER_INVENTORY, carriers.INCOMING_INVENTORY, carriers.OUTGOING_INVENTORY)),
    RegisterSpec(name="circulation", title=circulation.CIRCULATION_TITLE, build=circulation.circulation,
                 count=circulation.circulation_count, params=("circulation",), listed=False),
)
