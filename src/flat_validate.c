/*
 * flat_validate.c: amvalidate for flat operator classes.
 *
 * A flat opclass has exactly one member: an ordering operator (FOR ORDER BY a
 * btree float8 opfamily) of signature (opcintype, opcintype) -> float8, whose
 * strategy number names the metric: 1 <->, 2 <#>, 3 <=>, 4 <+>, and for bit
 * 5 <~> (hamming) and 6 <%> (jaccard).  No search
 * operators and no support functions.
 */
#include "postgres.h"

#include "access/amvalidate.h"
#include "access/htup_details.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "flat.h"

static const char *const flat_strategy_names[FLAT_NSTRATEGIES + 1] = {
	NULL, "<->", "<#>", "<=>", "<+>", "<~>", "<%>"
};

bool
flatvalidate(Oid opclassoid)
{
	bool		result = true;
	HeapTuple	classtup;
	Form_pg_opclass classform;
	Oid			opfamilyoid;
	Oid			opcintype;
	char	   *opclassname;
	CatCList   *oprlist;
	CatCList   *proclist;
	int			i;
	int			nordering = 0;

	classtup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclassoid));
	if (!HeapTupleIsValid(classtup))
		elog(ERROR, "cache lookup failed for operator class %u", opclassoid);
	classform = (Form_pg_opclass) GETSTRUCT(classtup);
	opfamilyoid = classform->opcfamily;
	opcintype = classform->opcintype;
	opclassname = NameStr(classform->opcname);

	oprlist = SearchSysCacheList1(AMOPSTRATEGY, ObjectIdGetDatum(opfamilyoid));
	proclist = SearchSysCacheList1(AMPROCNUM, ObjectIdGetDatum(opfamilyoid));

	for (i = 0; i < proclist->n_members; i++)
	{
		Form_pg_amproc procform = (Form_pg_amproc) GETSTRUCT(&proclist->members[i]->tuple);

		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("flat operator family of operator class \"%s\" contains support function %s, "
						"but flat has no support functions",
						opclassname, format_procedure(procform->amproc))));
		result = false;
	}

	for (i = 0; i < oprlist->n_members; i++)
	{
		Form_pg_amop oprform = (Form_pg_amop) GETSTRUCT(&oprlist->members[i]->tuple);
		char	   *oprname;

		if (oprform->amopstrategy < 1 || oprform->amopstrategy > FLAT_NSTRATEGIES)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("flat operator family of \"%s\" contains operator %s with invalid strategy number %d",
							opclassname, format_operator(oprform->amopopr),
							oprform->amopstrategy)));
			result = false;
			continue;
		}
		if (oprform->amoppurpose != AMOP_ORDER)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("flat operator family of \"%s\" contains search operator %s; "
							"flat supports only ordering operators",
							opclassname, format_operator(oprform->amopopr))));
			result = false;
			continue;
		}
		if (!OidIsValid(oprform->amopsortfamily) ||
			!opfamily_can_sort_type(oprform->amopsortfamily, FLOAT8OID))
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("flat operator family of \"%s\" contains operator %s with a sort family "
							"that cannot sort float8",
							opclassname, format_operator(oprform->amopopr))));
			result = false;
		}
		if (!check_amop_signature(oprform->amopopr, FLOAT8OID,
								  oprform->amoplefttype, oprform->amoprighttype) ||
			oprform->amoplefttype != opcintype || oprform->amoprighttype != opcintype)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("flat operator family of \"%s\" contains operator %s with wrong signature",
							opclassname, format_operator(oprform->amopopr))));
			result = false;
		}
		oprname = get_opname(oprform->amopopr);
		if (oprname == NULL || strcmp(oprname, flat_strategy_names[oprform->amopstrategy]) != 0)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("flat operator family of \"%s\" has operator %s at strategy %d, expected %s",
							opclassname, format_operator(oprform->amopopr),
							oprform->amopstrategy, flat_strategy_names[oprform->amopstrategy])));
			result = false;
		}
		nordering++;
	}

	if (nordering != 1)
	{
		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("flat operator class \"%s\" must have exactly one ordering operator, has %d",
						opclassname, nordering)));
		result = false;
	}

	ReleaseCatCacheList(proclist);
	ReleaseCatCacheList(oprlist);
	ReleaseSysCache(classtup);

	return result;
}
