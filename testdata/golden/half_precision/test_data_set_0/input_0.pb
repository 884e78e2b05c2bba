
BinputJú·[:ð³: