"""The private parts of ``ticketcore.dataframes``: the column schema, vectorised business time and metrics."""
