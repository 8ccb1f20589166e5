# A/B benchmark of two revisions (scripts/ab.py --help). Include from the
# top-level Makefile with:   -include scripts/ab.mk
#   make ab A=origin/main B=HEAD [ROUNDS=5] [MAX_ROUNDS=10] [AB_ARGS='--out dir'] \
#           [COMPARE_ARGS='--rel 0.03']
# make fails on a regression or unusable input (make's own status is then 2);
# scripts/ab.py itself exits 0 no regression, 1 regression, 2 unusable.
ROUNDS ?= 5
MAX_ROUNDS ?= 10
.PHONY: ab
ab:
	@test -n "$(A)" -a -n "$(B)" || { echo "usage: make ab A=rev B=rev [ROUNDS=5] [MAX_ROUNDS=10]" >&2; exit 2; }
	python3 scripts/ab.py --a '$(A)' --b '$(B)' --rounds $(ROUNDS) --max-rounds $(MAX_ROUNDS) \
		$(AB_ARGS) $(if $(COMPARE_ARGS),-- $(COMPARE_ARGS),)
