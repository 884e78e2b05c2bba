BreconstructionJ Š@¯»þ?³n
@º@›@ùŒé?Óæ?C|@