"""Pages of the workforce app: orders and booking (orders), the dispatch
board (board), and the technician's phone page (field)."""
